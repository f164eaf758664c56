import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useSyncExternalStore } from 'react';
import type { ActivitySnapshot, EventMessage, JobEvent } from '../../main/api/contract.ts';
import { api, subscribe } from './api.ts';

/**
 * The monitor's live view: the core's activity (open and recent associations, errors, kept by the core), fetched again
 * when events say something happened (at most every 300 ms however many objects arrive), and job progress from the
 * job events.
 */

export interface LiveState {
  connected: boolean;
  activity: ActivitySnapshot;
  /** The latest event of each job (progress, rate). */
  jobs: Record<number, JobEvent>;
  /** Bumped when a job appears or changes state, so a screen knows to fetch the job list again. */
  jobVersion: number;
  /** Bumped when the worklist changed from outside (a modality's MPPS, an HL7 order). */
  worklistVersion: number;
}

let state: LiveState = {
  connected: false,
  activity: { open: [], recent: [], errors: [], hl7: [] },
  jobs: {},
  jobVersion: 0,
  worklistVersion: 0,
};
const listeners = new Set<() => void>();
let started = false;
let timer: ReturnType<typeof setTimeout> | undefined;

function set(changes: Partial<LiveState>): void {
  state = { ...state, ...changes };
  for (const l of listeners) l();
}

function refreshSoon(): void {
  if (timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    api(ENDPOINTS.activity).then(
      (activity) => set({ activity }),
      () => undefined,
    );
  }, 300);
}

function onMessage(m: EventMessage): void {
  if (m.type === 'job') {
    // Progress is merged from here; the job list is fetched again only when a job appears or changes state.
    const before = state.jobs[m.event.id];
    const changed = !before || before.state !== m.event.state;
    set({ jobs: { ...state.jobs, [m.event.id]: m.event }, jobVersion: state.jobVersion + (changed ? 1 : 0) });
  }
  if (m.type === 'worklist' || m.type === 'hl7') set({ worklistVersion: state.worklistVersion + 1 });
  refreshSoon();
}

function start(): void {
  if (started) return;
  started = true;
  subscribe(onMessage, (connected) => {
    set({ connected });
    if (connected) refreshSoon();
  });
}

/** The live state; the event stream starts once someone is signed in (`enabled`). */
export function useLive(enabled = true): LiveState {
  if (enabled) start();
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}
