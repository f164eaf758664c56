import { useSyncExternalStore } from 'react';
import type { EventMessage, JobEvent } from '../../main/api/contract.ts';
import { subscribe } from './api.ts';

/**
 * What the monitor shows, kept from the moment the UI opens (whatever screen is showing): open associations with their
 * objects and bytes, the last closed ones, recent errors, and job progress. Updates reach React at most 4 times a
 * second, however many objects arrive.
 */

export interface LiveAssociation {
  id: number;
  role: 'acceptor' | 'requestor';
  peer: string;
  callingAe: string;
  calledAe: string;
  openedAt: number;
  lastAt: number;
  objects: number;
  failed: number;
  bytes: number;
  closedAt?: number;
  reason?: string;
}

export interface LiveError {
  at: number;
  text: string;
}

export interface LiveState {
  connected: boolean;
  open: LiveAssociation[];
  recent: LiveAssociation[];
  errors: LiveError[];
  /** Job progress from events, newer than the last job list fetched. */
  jobs: Record<number, JobEvent>;
  /** Bumped by each job event, so a screen knows to fetch the list again. */
  jobVersion: number;
}

const RECENT = 20;
const ERRORS = 50;
const open = new Map<number, LiveAssociation>();
let state: LiveState = { connected: false, open: [], recent: [], errors: [], jobs: {}, jobVersion: 0 };
const listeners = new Set<() => void>();
let dirty = false;
let started = false;

function publish(): void {
  if (dirty) return;
  dirty = true;
  setTimeout(() => {
    dirty = false;
    state = { ...state, open: [...open.values()] };
    for (const l of listeners) l();
  }, 250);
}

function addError(text: string): void {
  state = { ...state, errors: [{ at: Date.now(), text }, ...state.errors].slice(0, ERRORS) };
}

function isFailure(status: number): boolean {
  return status !== 0 && (status & 0xf000) !== 0xb000;
}

function onMessage(m: EventMessage): void {
  if (m.type === 'association') {
    const e = m.event;
    if (e.type === 'opened') {
      open.set(e.id, { id: e.id, role: e.role, peer: e.peer, callingAe: e.callingAe, calledAe: e.calledAe, openedAt: Date.now(), lastAt: Date.now(), objects: 0, failed: 0, bytes: 0 });
    } else {
      const a = open.get(e.id) ?? { id: e.id, role: e.role, peer: e.peer, callingAe: e.callingAe, calledAe: e.calledAe, openedAt: Date.now(), lastAt: Date.now(), objects: 0, failed: 0, bytes: 0 };
      open.delete(e.id);
      const closed = { ...a, closedAt: Date.now(), reason: e.reason ?? '' };
      state = { ...state, recent: [closed, ...state.recent].slice(0, RECENT) };
      if (e.reason && e.reason !== 'released' && e.reason !== 'closed') addError(`${e.callingAe} → ${e.calledAe} (${e.peer}): association ${e.reason}`);
    }
  } else if (m.type === 'object') {
    const e = m.event;
    const a = open.get(e.associationId);
    if (a) {
      a.objects++;
      a.bytes += e.size;
      a.lastAt = Date.now();
      if (isFailure(e.status)) a.failed++;
    }
    if (isFailure(e.status)) addError(`${e.direction === 'received' ? 'receiving from' : 'sending to'} ${e.peerAe}: object ${e.sopInstanceUid} failed with status 0x${e.status.toString(16).padStart(4, '0')}`);
  } else {
    const e = m.event;
    state = { ...state, jobs: { ...state.jobs, [e.id]: e }, jobVersion: state.jobVersion + 1 };
    if (e.state === 'failed') addError(`job ${e.id} (${e.kind} ${e.source || 'here'} → ${e.destination || 'here'}) failed: ${e.error}`);
  }
  publish();
}

function start(): void {
  if (started) return;
  started = true;
  subscribe(onMessage, (connected) => {
    state = { ...state, connected };
    publish();
  });
}

export function useLive(): LiveState {
  start();
  return useSyncExternalStore((l) => { listeners.add(l); return () => listeners.delete(l); }, () => state);
}
