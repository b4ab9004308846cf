import { describe, expect, it } from 'vitest';
import { parseModelSource } from './model-source.ts';

describe('parseModelSource', () => {
  it('reads Hub ids, URLs and app paths', () => {
    expect(parseModelSource(' onnx-community/DeepScaleR-1.5B-Preview-ONNX ')).toEqual({ kind: 'hub', id: 'onnx-community/DeepScaleR-1.5B-Preview-ONNX' });
    expect(parseModelSource('huggingface.co/a/b')).toEqual({ kind: 'hub', id: 'a/b' });
    expect(parseModelSource('https://example.org:8080/models/e1-q4/?x=1')).toEqual({ kind: 'url', host: 'https://example.org:8080/', path: 'models/e1-q4' });
    expect(parseModelSource('/models/scripted-think48/')).toEqual({ kind: 'local', path: '/models/scripted-think48' });
  });
  it('names what is wrong', () => {
    expect(parseModelSource('')).toHaveProperty('error', expect.stringMatching(/Enter a model/));
    expect(parseModelSource('just-a-name')).toHaveProperty('error', expect.stringMatching(/not a Hub id/));
    expect(parseModelSource('https://example.org/')).toHaveProperty('error', expect.stringMatching(/model folder/));
    expect(parseModelSource('https://exa mple.org/x')).toHaveProperty('error', expect.stringMatching(/Not a valid URL/));
    expect(parseModelSource('/models/../etc')).toHaveProperty('error', expect.stringMatching(/\.\./));
  });
});
