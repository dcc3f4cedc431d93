/**
 * Attack (LOW, Cal. Civ. Code 1798.90.55(b), AG bulletin 2023-DLE-06; a careless or hurried operator):
 * the register judges an agency by its name too, "whatever jurisdiction is typed", so that a
 * federal or other-state agency entered as california-local with a CA-looking ORI is still refused.
 * Ordinary spellings slipped past: acronyms written with dots (F.B.I., I.C.E.), "US" without dots,
 * the military criminal investigators, the Coast Guard, and New York City (excluded from the state
 * check as California's Nevada City is). Each is now named as federal or another state's; the
 * California names that look alike stay eligible.
 */
import { describe, expect, it } from 'vitest';
import { nameRefusal } from '../../src/core/eligibility.js';

describe('agency names in their ordinary spellings', () => {
  it('are judged federal or another state’s; California look-alikes are not', () => {
    for (const name of [
      'F.B.I. Los Angeles Field Office',
      'I.C.E. Enforcement and Removal Operations',
      'US Forest Service Law Enforcement',
      'US Park Police',
      'Naval Criminal Investigative Service',
      'Army Criminal Investigation Division',
      'Air Force Office of Special Investigations',
      'Coast Guard Investigative Service',
    ])
      expect(nameRefusal(name), name).toBe('names a federal agency');
    expect(nameRefusal('New York City Police Department')).toBe('names an agency of another state');
    for (const name of [
      'Nevada City Police Department',
      "Nevada County Sheriff's Office",
      'US 101 Corridor Task Force',
      'Example County District Attorney',
      'Forestry and Fire Protection Law Enforcement',
    ])
      expect(nameRefusal(name), name).toBeUndefined();
  });
});
