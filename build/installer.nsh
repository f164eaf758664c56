; Additions to electron-builder's NSIS installer (per machine): the archive as a Windows service on the per-machine data
; folder, a firewall rule for its DICOM port, and on uninstall the service and rule removed, the data kept unless the
; admin asks. Unverified: built only where electron-builder can fetch Electron (see README).

!macro customInstall
  ; The data folder: administrators and the service (LocalSystem) only; the API secret and keys live in it.
  CreateDirectory "$COMMONAPPDATA\PACS Workstation"
  nsExec::ExecToLog 'icacls "$COMMONAPPDATA\PACS Workstation" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F"'
  ; DICOM port (TCPPort, 11112 by default) open for modalities: without a rule, the first listen raises a prompt that
  ; needs an administrator, which a service never answers.
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="PACS Workstation DICOM"'
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="PACS Workstation DICOM" dir=in action=allow protocol=TCP localport=11112 program="$INSTDIR\PACS Workstation.exe"'
  nsExec::ExecToLog '"$INSTDIR\resources\service\PACSWorkstationService.exe" install'
  nsExec::ExecToLog '"$INSTDIR\resources\service\PACSWorkstationService.exe" start'
!macroend

!macro customUnInstall
  nsExec::ExecToLog '"$INSTDIR\resources\service\PACSWorkstationService.exe" stop'
  nsExec::ExecToLog '"$INSTDIR\resources\service\PACSWorkstationService.exe" uninstall'
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="PACS Workstation DICOM"'
  MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete the archive's data (images, index, configuration) in $COMMONAPPDATA\PACS Workstation?" IDNO keep
    RMDir /r "$COMMONAPPDATA\PACS Workstation"
  keep:
!macroend
