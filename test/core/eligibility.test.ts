/**
 * Who may receive ALPR data (policy §4/§5, Civ. Code 1798.90.55(b), AG bulletin 2023-DLE-06),
 * judged from recorded facts, not from the jurisdiction an operator typed.
 */
import { describe, expect, it } from 'vitest';
import {
  type AgencyOverride,
  agencyEligibility,
  CONTRACTOR_PERMIT_MAX_DAYS,
  contractorPermitRefusal,
  isCriminalPurpose,
  nameRefusal,
  purposeRefusal,
} from '../../src/core/eligibility.js';

const local = (
  name: string,
  identifier: string | null,
  kind = 'law-enforcement',
  jurisdiction = 'california-local',
) => ({
  id: 'X',
  name,
  kind,
  jurisdiction,
  identifier,
});

const override: AgencyOverride = {
  id: 'OVR-0001',
  agency: 'X',
  reason: 'documented equivalent',
  purposes: ['locating a missing or endangered person'],
  by: 'asd',
  at: '2026-11-05T10:00:00.000-08:00',
  documentSha256: null,
};

describe('agency eligibility from facts', () => {
  it('accepts a California law-enforcement or prosecutorial agency with a California ORI', () => {
    expect(agencyEligibility(local("Example County Sheriff's Office", 'CA0019900'))).toEqual({ eligible: true });
    expect(agencyEligibility(local('Example County District Attorney', 'ca001013a', 'prosecutorial'))).toEqual({
      eligible: true,
    });
    expect(
      agencyEligibility(local('California Highway Patrol', 'CA0349400', 'law-enforcement', 'california-state')),
    ).toEqual({ eligible: true });
    // California places named after other states are California agencies.
    expect(agencyEligibility(local("Nevada County Sheriff's Office", 'CA0290000')).eligible).toBe(true);
    expect(agencyEligibility(local('Nevada City Police Department', 'CA0290100')).eligible).toBe(true);
  });

  it('refuses federal, other-state and private names whatever jurisdiction is typed', () => {
    for (const [name, id, words] of [
      ['FBI', 'DCFBIWA00', /names a federal agency/],
      ['ICE (LA field office)', null, /names a federal agency/],
      ['U.S. Marshals Service', 'CA0000000', /names a federal agency/],
      ['Homeland Security Investigations', 'CA1234567', /names a federal agency/],
      ['Nevada Highway Patrol', 'CA0000001', /another state/],
      ['Oregon State Police', 'CA0000002', /another state/],
      ['Fast Repossession LLC', 'CA0000003', /private firm/],
      ['Acme Recovery Inc.', 'CA0000004', /private firm/],
    ] as const) {
      const e = agencyEligibility(local(name, id));
      expect(e.eligible, name).toBe(false);
      expect(e.refusal, name).toMatch(words);
      expect(e.refusal).toMatch(/1798\.90\.55\(b\)/);
      // No override makes them eligible.
      expect(agencyEligibility(local(name, id), override).eligible, name).toBe(false);
    }
    expect(nameRefusal('Police Department of Example')).toBeUndefined();
  });

  it('refuses by recorded jurisdiction and kind, and an agency without a California ORI unless overridden', () => {
    expect(agencyEligibility(local('Some agency', 'CA0000000', 'law-enforcement', 'federal')).refusal).toMatch(
      /a federal agency/,
    );
    expect(agencyEligibility(local('Parks Department', 'CA0000000', 'other')).refusal).toMatch(
      /not a law-enforcement or prosecutorial agency/,
    );
    const noOri = agencyEligibility(local('Example Police Department', null));
    expect(noOri).toMatchObject({ eligible: false });
    expect(noOri.refusal).toMatch(/unconfirmed: it has no ORI/);
    expect(agencyEligibility(local('Example Police Department', 'NV0020100')).refusal).toMatch(
      /NV0020100 is not a California ORI/,
    );
    expect(agencyEligibility(local('Example Police Department', 'CA12345')).eligible).toBe(false);
    expect(agencyEligibility(local('Example Police Department', null), override)).toEqual({ eligible: true, override });
  });
});

describe('purposes (policy §5)', () => {
  it('a transfer is for a criminal investigation; others only by the override that names them', () => {
    expect(isCriminalPurpose('criminal investigation')).toBe(true);
    expect(isCriminalPurpose('prosecution of a criminal case')).toBe(true);
    expect(purposeRefusal('criminal investigation')).toBeUndefined();
    expect(purposeRefusal('locating a missing or endangered person')).toMatch(/not a criminal investigation.*§5/);
    expect(purposeRefusal('locating a missing or endangered person', override)).toBeUndefined();
    expect(purposeRefusal('locating a stolen vehicle', override)).toMatch(/policy §5/);
  });
});

describe('contractor permits (policy §2)', () => {
  const ok = { purpose: 'evidence of a crime', caseNumber: '26-1', from: '2026-11-01', until: '2026-11-30' };
  it('allows evidence of a crime with a case number for at most the set number of days', () => {
    expect(CONTRACTOR_PERMIT_MAX_DAYS).toBe(30);
    expect(contractorPermitRefusal(ok)).toBeUndefined();
    expect(contractorPermitRefusal({ ...ok, until: '2026-12-01' })).toMatch(/at most 30 days .* is 31/);
    expect(contractorPermitRefusal({ ...ok, purpose: 'marketing analytics' })).toMatch(/policy §2/);
    expect(contractorPermitRefusal({ ...ok, caseNumber: '  ' })).toMatch(/case or incident number/);
  });
});
