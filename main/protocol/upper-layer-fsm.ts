/**
 * The DICOM upper layer's state machine as the standard gives it (PS3.8 9.2: states Table 9-1, events Table 9-2,
 * actions Tables 9-6 to 9-9, transitions Table 9-10), as data: association.ts looks every event up here, and an event
 * the table has no action for in a state is rejected in one place. The association does the actions; its local user
 * (our services) answers release and association indications at once, so Sta3, Sta8, Sta9 and Sta12 are passed through.
 */

export const STATES = {
  Sta1: 'Idle',
  Sta2: 'Transport connection open (awaiting A-ASSOCIATE-RQ PDU)',
  Sta3: 'Awaiting local A-ASSOCIATE response primitive',
  Sta4: 'Awaiting transport connection opening to complete',
  Sta5: 'Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU',
  Sta6: 'Association established and ready for data transfer',
  Sta7: 'Awaiting A-RELEASE-RP PDU',
  Sta8: 'Awaiting local A-RELEASE response primitive',
  Sta9: 'Release collision requestor side; awaiting A-RELEASE response primitive',
  Sta10: 'Release collision acceptor side; awaiting A-RELEASE-RP PDU',
  Sta11: 'Release collision requestor side; awaiting A-RELEASE-RP PDU',
  Sta12: 'Release collision acceptor side; awaiting A-RELEASE response primitive',
  Sta13: 'Awaiting transport connection close indication',
} as const;
export type State = keyof typeof STATES;

export const EVENTS = {
  Evt1: 'A-ASSOCIATE request (local user)',
  Evt2: 'transport connect confirmation',
  Evt3: 'A-ASSOCIATE-AC PDU received',
  Evt4: 'A-ASSOCIATE-RJ PDU received',
  Evt5: 'transport connection indication',
  Evt6: 'A-ASSOCIATE-RQ PDU received',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU received',
  Evt11: 'A-RELEASE request primitive',
  Evt12: 'A-RELEASE-RQ PDU received',
  Evt13: 'A-RELEASE-RP PDU received',
  Evt14: 'A-RELEASE response primitive',
  Evt15: 'A-ABORT request primitive',
  Evt16: 'A-ABORT PDU received',
  Evt17: 'transport connection closed indication',
  Evt18: 'ARTIM timer expired',
  Evt19: 'unrecognized or invalid PDU received',
} as const;
export type Event = keyof typeof EVENTS;

/** What each action does, and the state it leads to (AE-6 and AR-8 choose between two). */
export const ACTIONS = {
  'AE-1': { does: 'issue a transport connect request', next: 'Sta4' },
  'AE-2': { does: 'send the A-ASSOCIATE-RQ PDU', next: 'Sta5' },
  'AE-3': { does: 'issue the A-ASSOCIATE confirmation (accept)', next: 'Sta6' },
  'AE-4': { does: 'issue the A-ASSOCIATE confirmation (reject), close the transport', next: 'Sta1' },
  'AE-5': { does: 'accept the transport connection, start ARTIM', next: 'Sta2' },
  'AE-6': {
    does: 'stop ARTIM; issue the A-ASSOCIATE indication, or send A-ASSOCIATE-RJ and start ARTIM',
    next: 'Sta3|Sta13',
  },
  'AE-7': { does: 'send the A-ASSOCIATE-AC PDU', next: 'Sta6' },
  'AE-8': { does: 'send the A-ASSOCIATE-RJ PDU, start ARTIM', next: 'Sta13' },
  'DT-1': { does: 'send the P-DATA-TF PDU', next: 'Sta6' },
  'DT-2': { does: 'issue the P-DATA indication', next: 'Sta6' },
  'AR-1': { does: 'send the A-RELEASE-RQ PDU', next: 'Sta7' },
  'AR-2': { does: 'issue the A-RELEASE indication', next: 'Sta8' },
  'AR-3': { does: 'issue the A-RELEASE confirmation, close the transport', next: 'Sta1' },
  'AR-4': { does: 'send the A-RELEASE-RP PDU, start ARTIM', next: 'Sta13' },
  'AR-5': { does: 'stop ARTIM', next: 'Sta1' },
  'AR-6': { does: 'issue the P-DATA indication', next: 'Sta7' },
  'AR-7': { does: 'send the P-DATA-TF PDU', next: 'Sta8' },
  'AR-8': { does: 'issue the A-RELEASE indication (release collision)', next: 'Sta9|Sta10' },
  'AR-9': { does: 'send the A-RELEASE-RP PDU', next: 'Sta11' },
  'AR-10': { does: 'issue the A-RELEASE confirmation', next: 'Sta12' },
  'AA-1': { does: 'send the A-ABORT PDU (service-user), start ARTIM', next: 'Sta13' },
  'AA-2': { does: 'stop ARTIM, close the transport', next: 'Sta1' },
  'AA-3': { does: 'issue the A-ABORT (or A-P-ABORT) indication, close the transport', next: 'Sta1' },
  'AA-4': { does: 'issue the A-P-ABORT indication', next: 'Sta1' },
  'AA-5': { does: 'stop ARTIM', next: 'Sta1' },
  'AA-6': { does: 'ignore the PDU', next: 'Sta13' },
  'AA-7': { does: 'send the A-ABORT PDU', next: 'Sta13' },
  'AA-8': {
    does: 'send the A-ABORT PDU (service-provider), issue the A-P-ABORT indication, start ARTIM',
    next: 'Sta13',
  },
} as const;
export type Action = keyof typeof ACTIONS;

const ALL: State[] = [
  'Sta2',
  'Sta3',
  'Sta4',
  'Sta5',
  'Sta6',
  'Sta7',
  'Sta8',
  'Sta9',
  'Sta10',
  'Sta11',
  'Sta12',
  'Sta13',
];
/** The PDU events' usual row: Sta2 AA-1, Sta3 and Sta5-Sta12 AA-8, Sta13 AA-6, with the given exceptions. */
function pduRow(except: Partial<Record<State, Action>>): Partial<Record<State, Action>> {
  const row: Partial<Record<State, Action>> = { Sta2: 'AA-1', Sta3: 'AA-8', Sta13: 'AA-6' };
  for (const s of ['Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12'] as State[]) row[s] = 'AA-8';
  return { ...row, ...except };
}
const every = (action: Action, states: State[]) =>
  Object.fromEntries(states.map((s) => [s, action])) as Partial<Record<State, Action>>;

/** PS3.8 Table 9-10. */
export const TRANSITIONS: Record<Event, Partial<Record<State, Action>>> = {
  Evt1: { Sta1: 'AE-1' },
  Evt2: { Sta4: 'AE-2' },
  Evt3: pduRow({ Sta5: 'AE-3' }),
  Evt4: pduRow({ Sta5: 'AE-4' }),
  Evt5: { Sta1: 'AE-5' },
  Evt6: pduRow({ Sta2: 'AE-6', Sta13: 'AA-7' }),
  Evt7: { Sta3: 'AE-7' },
  Evt8: { Sta3: 'AE-8' },
  Evt9: { Sta6: 'DT-1', Sta8: 'AR-7' },
  Evt10: pduRow({ Sta6: 'DT-2', Sta7: 'AR-6' }),
  Evt11: { Sta6: 'AR-1' },
  Evt12: pduRow({ Sta6: 'AR-2', Sta7: 'AR-8' }),
  Evt13: pduRow({ Sta7: 'AR-3', Sta10: 'AR-10', Sta11: 'AR-3' }),
  Evt14: { Sta8: 'AR-4', Sta9: 'AR-9', Sta12: 'AR-4' },
  Evt15: {
    ...every('AA-1', ['Sta3', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12']),
    Sta4: 'AA-2',
  },
  Evt16: {
    ...every('AA-3', ['Sta3', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12']),
    Sta2: 'AA-2',
    Sta13: 'AA-2',
  },
  Evt17: {
    ...every('AA-4', ['Sta3', 'Sta4', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12']),
    Sta2: 'AA-5',
    Sta13: 'AR-5',
  },
  Evt18: { Sta2: 'AA-2', Sta13: 'AA-2' },
  Evt19: {
    ...every('AA-8', ['Sta3', 'Sta5', 'Sta6', 'Sta7', 'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12']),
    Sta2: 'AA-1',
    Sta13: 'AA-7',
  },
};

/** The action for an event in a state; undefined when the standard has none (a local primitive out of place). */
export function actionFor(state: State, event: Event): Action | undefined {
  return TRANSITIONS[event][state];
}

/** Every state, for tests that walk the table. */
export const ALL_STATES: readonly State[] = ['Sta1', ...ALL];
