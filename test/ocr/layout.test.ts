import { describe, expect, it } from 'vitest';
import { cleanPlate, layoutFixes, layoutPrior, lookalikeVariants } from '../../src/ocr/layout.js';

describe('layout knowledge', () => {
  it('keeps A–Z and 0–9 only', () => {
    expect(cleanPlate(' abc-12 3·')).toBe('ABC123');
  });

  it('fixes a letter read where a usual layout has a digit, twins (O/0, I/1) cheapest', () => {
    const fixes = new Map(layoutFixes('ABC1O34'));
    expect(fixes.get('ABC1034')).toBe(0.25);
    const [first] = layoutFixes('5BBM2S9');
    expect(first).toEqual(['5BBM259', 1]);
  });

  it('does not turn a 0 or 1 into O or I, letters most states leave out of serials', () => {
    const fixed = layoutFixes('1041608').map(([t]) => t);
    expect(fixed).not.toContain('I041608');
    expect(layoutFixes('093G0K').map(([t]) => t)).not.toContain('093GOK');
    // Other look-alike digits still become letters where the layout wants one.
    expect(layoutFixes('4BC1234').map(([t]) => t)).toContain('ABC1234');
  });

  it('ranks usual layouts first, numeric 7-digit serials above a misread letter O or I', () => {
    expect(layoutPrior('ABC1234')).toBe(1);
    expect(layoutPrior('1410502')).toBeGreaterThan(layoutPrior('I410502') * 0.7);
    expect(layoutPrior('1410502')).toBeGreaterThan(layoutPrior('12345678'));
    expect(layoutPrior('AB')).toBeLessThan(0.1);
  });

  it('counts letter-digit-letter serials (AB1C2D) among the common layouts', () => {
    expect(layoutFixes('UHIN2A').map(([t]) => t)).toContain('UH1N2A');
    expect(layoutPrior('UH1N2A')).toBeGreaterThan(layoutPrior('UHIN2A'));
    // A four-character serial and one in no layout, as told.
    expect(layoutPrior('72LY', 0.4)).toBeCloseTo(0.4, 5);
    expect(layoutPrior('UHICN2A', 0.15, 0.5)).toBeCloseTo(0.5 * 0.8, 5);
  });

  it('offers look-alikes at the given positions', () => {
    expect(lookalikeVariants('AB8', [2])).toEqual(['ABB', 'AB6', 'AB3', 'AB9', 'AB0']);
  });
});
