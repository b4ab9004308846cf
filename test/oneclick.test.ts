// The E1 one-click conversion's pieces: the preset's converted id is the converter's, a Hub
// mirror is only ever a path on the app's origin, and the plan carries a measured download rate.
import { describe, expect, it } from 'vitest';
import { E1_REPO, MODEL_PRESETS, loadableAsIs, presetFor } from '../src/app/presets.ts';
import { convertStore, hubMirrorChosen, resetConvertStore, sourceFromState } from '../src/state/convert-store.ts';
import { convertedIdFor } from '../src/worker/convert-keys.ts';
import { isMirrorPath } from '../src/worker/convert-protocol.ts';
import { openSource, SourceError } from '../src/worker/convert-sources.ts';

describe('E1 preset', () => {
  it('loads under the id its conversion is stored as, and only that', () => {
    const e1 = MODEL_PRESETS.find((p) => p.key === 'e1')!;
    expect(e1.convertedId).toBe(convertedIdFor({ kind: 'hub', repo: E1_REPO }));
    expect(presetFor(e1.convertedId!)).toBe(e1);
    expect(loadableAsIs(E1_REPO)).toBe(false);
    expect(loadableAsIs(e1.convertedId!)).toBe(true);
    expect(loadableAsIs('onnx-community/DeepScaleR-1.5B-Preview-ONNX')).toBe(true);
  });
});

describe('Hub mirror', () => {
  it('is a plain path on this origin, never another host', () => {
    expect(isMirrorPath('/hub')).toBe(true);
    expect(isMirrorPath('/test/hub-mirror')).toBe(true);
    for (const bad of ['https://evil.example', '//evil.example', '/a/../b', 'hub', '/hub?x=1', '']) expect(isMirrorPath(bad), bad).toBe(false);
  });

  it('from ?hub=, rides on Hub sources; other values are ignored', () => {
    resetConvertStore();
    hubMirrorChosen('https://evil.example');
    expect(convertStore.getState().hubHost).toBeNull();
    hubMirrorChosen('/hub');
    const s = { ...convertStore.getState(), sourceText: E1_REPO };
    expect(sourceFromState(s)).toEqual({ source: { kind: 'hub', repo: E1_REPO, revision: 'main', host: '/hub' } });
    expect(sourceFromState({ ...s, sourceText: '/models/x' })).toEqual({ source: { kind: 'url', url: '/models/x' } });
    resetConvertStore();
  });

  it('the worker lists the repo on the mirror, under the same converted id, and refuses other hosts', async () => {
    const asked: string[] = [];
    const fetchFn = async (url: string) => {
      asked.push(url);
      return new Response(JSON.stringify([{ type: 'file', path: 'config.json', size: 2 }]), { status: 200 });
    };
    const opened = await openSource(fetchFn, { kind: 'hub', repo: E1_REPO, revision: 'main', host: '/hub' }, 'http://localhost:4187');
    expect(asked).toEqual([`http://localhost:4187/hub/api/models/${E1_REPO}/tree/main`]);
    expect(opened.modelId).toBe(`/converted/${E1_REPO}`);
    expect(opened.label).toContain('Hub mirror /hub');
    await expect(openSource(fetchFn, { kind: 'hub', repo: E1_REPO, revision: 'main', host: 'https://evil.example' }, 'http://localhost:4187')).rejects.toThrow(SourceError);
  });
});
