import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  ALL_STATES,
  TRANSITIONS,
  actionFor,
  type Event,
  type State,
} from '../../main/protocol/upper-layer-fsm.ts';

/** The table against PS3.8 Table 9-10: spot checks of each kind of row, and what must hold for every state. */
describe('the upper layer state machine table (PS3.8 9.2)', () => {
  const PDU_EVENTS: Event[] = ['Evt3', 'Evt4', 'Evt6', 'Evt10', 'Evt12', 'Evt13', 'Evt16', 'Evt19'];
  const CONNECTED: State[] = [
    'Sta2',
    'Sta3',
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

  it('has an action for every PDU and transport event in every state with a connection', () => {
    const missing = [...PDU_EVENTS, 'Evt17' as Event].flatMap((e) =>
      CONNECTED.filter((s) => !actionFor(s, e)).map((s) => `${e} in ${s}`),
    );
    expect(missing).toEqual([]);
  });

  it('uses only actions the standard defines', () => {
    const used = Object.values(TRANSITIONS).flatMap((row) => Object.values(row));
    expect(used.filter((a) => !(a in ACTIONS))).toEqual([]);
  });

  it('sets up, transfers and releases as Table 9-10 says', () => {
    expect(actionFor('Sta1', 'Evt5')).toBe('AE-5');
    expect(actionFor('Sta2', 'Evt6')).toBe('AE-6');
    expect(actionFor('Sta3', 'Evt7')).toBe('AE-7');
    expect(actionFor('Sta3', 'Evt8')).toBe('AE-8');
    expect(actionFor('Sta4', 'Evt2')).toBe('AE-2');
    expect(actionFor('Sta5', 'Evt3')).toBe('AE-3');
    expect(actionFor('Sta5', 'Evt4')).toBe('AE-4');
    expect(actionFor('Sta6', 'Evt10')).toBe('DT-2');
    expect(actionFor('Sta6', 'Evt9')).toBe('DT-1');
    expect(actionFor('Sta8', 'Evt9')).toBe('AR-7');
    expect(actionFor('Sta7', 'Evt10')).toBe('AR-6');
    expect(actionFor('Sta6', 'Evt11')).toBe('AR-1');
    expect(actionFor('Sta6', 'Evt12')).toBe('AR-2');
    expect(actionFor('Sta7', 'Evt13')).toBe('AR-3');
    expect(actionFor('Sta8', 'Evt14')).toBe('AR-4');
    expect(actionFor('Sta13', 'Evt17')).toBe('AR-5');
  });

  it('resolves a release collision on both sides (AR-8 to AR-10)', () => {
    expect(actionFor('Sta7', 'Evt12')).toBe('AR-8');
    expect(actionFor('Sta9', 'Evt14')).toBe('AR-9');
    expect(actionFor('Sta11', 'Evt13')).toBe('AR-3');
    expect(actionFor('Sta10', 'Evt13')).toBe('AR-10');
    expect(actionFor('Sta12', 'Evt14')).toBe('AR-4');
  });

  it('aborts on a PDU out of place, and ignores PDUs once the association is gone', () => {
    expect(actionFor('Sta2', 'Evt3')).toBe('AA-1');
    expect(actionFor('Sta6', 'Evt6')).toBe('AA-8');
    expect(actionFor('Sta8', 'Evt10')).toBe('AA-8');
    expect(actionFor('Sta6', 'Evt19')).toBe('AA-8');
    expect(actionFor('Sta13', 'Evt10')).toBe('AA-6');
    expect(actionFor('Sta13', 'Evt6')).toBe('AA-7');
    expect(actionFor('Sta6', 'Evt16')).toBe('AA-3');
    expect(actionFor('Sta6', 'Evt17')).toBe('AA-4');
    expect(actionFor('Sta2', 'Evt18')).toBe('AA-2');
  });

  it('refuses local primitives out of place: no data before the association, no release twice', () => {
    expect(actionFor('Sta5', 'Evt9')).toBeUndefined();
    expect(actionFor('Sta7', 'Evt9')).toBeUndefined();
    expect(actionFor('Sta7', 'Evt11')).toBeUndefined();
    expect(actionFor('Sta1', 'Evt15')).toBeUndefined();
    expect(ALL_STATES).toHaveLength(13);
  });
});
