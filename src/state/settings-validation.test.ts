import { beforeEach, describe, expect, it } from 'vitest';
import { applyUrl } from '../app/url-settings.ts';
import { COMPARE_SETTINGS_SPEC, compareSettingsStore, defaultCompareSettings } from './compare-store.ts';
import { SETTINGS_SPEC, defaultSettings, settingsStore } from './settings-store.ts';
import { MAX_PROBLEM_CHARS, sanitize, settingsNoticeDismissed, settingsNoticeStore } from './settings-validation.ts';

describe('saved settings are checked field by field', () => {
  it('keeps good fields, resets bad ones and names them', () => {
    const { value, problems } = sanitize(
      { problem: 'keep me', device: 'tpu', greedy: 'yes', thinkingBudget: 512, dtype: 'q4', extra: 1 },
      SETTINGS_SPEC,
      defaultSettings,
      'Saved settings',
    );
    expect(value).toEqual({ ...defaultSettings, problem: 'keep me', dtype: 'q4' });
    expect(value).not.toHaveProperty('extra');
    expect(problems).toEqual([
      'Saved settings: greedy (string "yes") was reset'.replace('string "yes"', '"yes"'),
      'Saved settings: thinkingBudget (number 512) was reset',
      'Saved settings: device ("tpu") was reset',
    ].sort((a, b) => order(a) - order(b)));
  });

  it('refuses what is not an object at all, and a huge problem', () => {
    expect(sanitize('garbage', SETTINGS_SPEC, defaultSettings, 'S')).toEqual({ value: defaultSettings, problems: ['S: not a settings object (all reset)'] });
    expect(sanitize([1, 2], SETTINGS_SPEC, defaultSettings, 'S').problems).toHaveLength(1);
    const huge = sanitize({ problem: 'x'.repeat(MAX_PROBLEM_CHARS + 1) }, SETTINGS_SPEC, defaultSettings, 'S');
    expect(huge.value.problem).toBe('');
    expect(huge.problems[0]).toMatch(/problem \(text of 10001 characters\)/);
    expect(sanitize(undefined, SETTINGS_SPEC, defaultSettings, 'S').problems).toEqual([]);
  });

  it('comparison lanes: 2 to 6, each fully shaped', () => {
    const lane = defaultCompareSettings.lanes[0]!;
    expect(sanitize({ lanes: Array(7).fill(lane) }, COMPARE_SETTINGS_SPEC, defaultCompareSettings, 'C').problems[0]).toMatch(/lanes \(a list of 7\)/);
    expect(sanitize({ lanes: [lane, { ...lane, seed: 3 }] }, COMPARE_SETTINGS_SPEC, defaultCompareSettings, 'C').problems).toHaveLength(1);
    expect(sanitize({ lanes: [lane, lane, lane] }, COMPARE_SETTINGS_SPEC, defaultCompareSettings, 'C')).toEqual({
      value: { ...defaultCompareSettings, lanes: [lane, lane, lane] },
      problems: [],
    });
  });
});

// Order of fields in SETTINGS_SPEC, so the expected list above reads naturally.
function order(p: string): number {
  return Object.keys(SETTINGS_SPEC).findIndex((k) => p.includes(`: ${k} `));
}

describe('links are checked like saved settings', () => {
  beforeEach(() => {
    settingsStore.setState(defaultSettings, true);
    compareSettingsStore.setState(defaultCompareSettings, true);
    settingsNoticeDismissed();
  });

  it('applies good values, refuses bad ones, caps the problem and the lanes', () => {
    const lanes = Array.from({ length: 8 }, (_, i) => `lane=${encodeURIComponent(`/models/m${i}|10|20|${i}`)}`).join('&');
    const tab = applyUrl(`?device=tpu&dtype=q4&t=${'9'.repeat(40)}&s=64&problem=${'y'.repeat(MAX_PROBLEM_CHARS + 5)}&mode=independent&${lanes}`);
    expect(tab).toBe('compare');
    const s = settingsStore.getState();
    expect(s.device).toBe('auto');
    expect(s.dtype).toBe('q4');
    expect(s.solutionBudget).toBe('64');
    expect(s.thinkingBudget).toBe(defaultSettings.thinkingBudget);
    expect(s.problem).toHaveLength(MAX_PROBLEM_CHARS);
    expect(compareSettingsStore.getState().lanes.map((l) => l.modelId)).toEqual(['/models/m0', '/models/m1', '/models/m2', '/models/m3', '/models/m4', '/models/m5']);
    const notice = settingsNoticeStore.getState().problems.join('\n');
    expect(notice).toMatch(/problem was cut to 10,000 characters/);
    expect(notice).toMatch(/8 lanes given, the first 6 are used/);
    expect(notice).toMatch(/device \("tpu"\) was reset/);
    expect(notice).toMatch(/thinkingBudget \("9{40}"\) was reset/);
  });
});

describe('the cap on History', () => {
  it('is empty (keep all) or a whole number from 1 to 100,000; anything else is refused with what to type', async () => {
    const { parseHistoryKeep } = await import('./settings-store.ts');
    expect(parseHistoryKeep('')).toEqual({ value: null });
    expect(parseHistoryKeep(' 50 ')).toEqual({ value: 50 });
    for (const bad of ['0', '-3', '2.5', 'ten', '100001']) expect(parseHistoryKeep(bad)).toEqual({ error: expect.stringMatching(/^"Keep at most" must be a whole number from 1 to 100,000/) });
    // A saved value of the wrong type is reset like any other setting.
    const { value, problems } = sanitize({ historyKeep: 20 }, SETTINGS_SPEC, defaultSettings, 'Saved settings');
    expect(value.historyKeep).toBe('');
    expect(problems).toEqual(['Saved settings: historyKeep (number 20) was reset']);
  });
});
