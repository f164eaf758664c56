#!/usr/bin/env bash
# The Debian packages the tests need, in one list: what each is for and the command that shows it is there.
#   bash scripts/test-deps.sh --check    names every missing package at once and exits 1 (npm test runs this first)
#   bash scripts/test-deps.sh --install  installs the missing ones with apt-get (as root, or through sudo)
# A later peer (Orthanc, GDCM's tools, python3-hl7, openssl ...) joins this list and nothing else.
set -euo pipefail

# package            command that proves it     what the tests use it for
PACKAGES='
dcmtk                storescu                   the reference DICOM peers (storescu, storescp, findscu, movescu, getscu, dcmdump, dcmcjpeg ...)
mariadb-server       mariadb-install-db         a private MariaDB for the index tests on the MySQL engine (mariadbd, started by the tests)
chromium             /usr/bin/chromium          the end-to-end tests drive the UI in it (playwright-core, no browser download)
libopenjp2-tools     opj_compress               makes the JPEG 2000 test object (DCMTK has no JPEG 2000 codec)
libgdcm-tools        gdcmconv                   the GDCM reference codecs: decode what we encode (JPEG 2000, JPEG-LS, JPEG lossless) and encode what we decode
python3              python3                    a listener whose queue is full, for the tests of nodes that never answer
orthanc              /usr/sbin/Orthanc          a second PACS as a real DICOMweb client and server (with its DICOMweb plugin)
orthanc-dicomweb     /usr/share/orthanc/plugins/libOrthancDicomWeb.so   the DICOMweb plugin of Orthanc (QIDO-RS, WADO-RS, STOW-RS both ways)
python3-hl7          mllp_send                  the hospital information system for the HL7 tests (its MLLP sender, mllp_send)
python3-pydicom      /usr/lib/python3/dist-packages/pydicom     reads exported media sets back through their DICOMDIR (pydicom FileSet)
xorriso              xorriso                    makes the ISO 9660 images of exports, and reads them back in the tests
openssl              openssl                    makes the test CA and certificates for the DICOM TLS tests
rsyslog              /usr/sbin/rsyslogd         an audit record repository receiving the ATNA syslog messages (UDP and TLS)
rsyslog-gnutls       /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so   the TLS driver of rsyslog (RFC 5425 syslog over TLS)
wine64               wine                       runs the Windows build of Node (scripts/windows-node.sh) for the Windows lane under Wine
prometheus           /usr/bin/prometheus        scrapes /metrics of the archive in the monitoring tests (its HTTP API read back)
'

present() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
while read -r package proof _why; do
  [ -n "${package:-}" ] || continue
  present "$proof" || missing+=("$package")
done <<< "$PACKAGES"

case "${1:-}" in
  --check)
    if [ ${#missing[@]} -gt 0 ]; then
      echo "The tests need these Debian packages, missing here: ${missing[*]}" >&2
      echo "Install them with: sudo apt-get install ${missing[*]}   (or: bash scripts/test-deps.sh --install)" >&2
      exit 1
    fi
    bash "$(dirname "$0")/windows-node.sh" --check
    ;;
  --install)
    bash "$(dirname "$0")/windows-node.sh" --install
    [ ${#missing[@]} -eq 0 ] && exit 0
    sudo=''
    [ "$(id -u)" -eq 0 ] || sudo='sudo'
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
    ;;
  *)
    echo "usage: bash scripts/test-deps.sh --check | --install" >&2
    exit 2
    ;;
esac
