// Where a model comes from, parsed from what the user typed or a URL parameter.

export type ModelSource =
  /** A Hugging Face Hub repo id, e.g. onnx-community/DeepScaleR-1.5B-Preview-ONNX. */
  | { readonly kind: 'hub'; readonly id: string }
  /** A transformers.js model folder at an http(s) URL: `host` + `path`. */
  | { readonly kind: 'url'; readonly host: string; readonly path: string }
  /** A folder served by this app (the generated test models). */
  | { readonly kind: 'local'; readonly path: string };

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

export function parseModelSource(input: string): ModelSource | { readonly error: string } {
  const s = input.trim();
  if (!s) return { error: 'Enter a model: a Hub id like onnx-community/DeepScaleR-1.5B-Preview-ONNX, or a URL.' };
  if (/^https?:\/\//i.test(s)) {
    // No URL class here (the core has no DOM lib): origin and path by pattern.
    const m = /^(https?:\/\/[A-Za-z0-9.-]+(?::\d+)?)(\/[^?#]*)?(?:[?#].*)?$/i.exec(s);
    if (!m) return { error: `Not a valid URL: ${s}` };
    const path = (m[2] ?? '').replace(/\/+$/, '').replace(/^\/+/, '');
    if (!path) return { error: 'The URL must point at a model folder (one holding config.json and onnx/).' };
    if (path.split('/').some((p) => p === '..')) return { error: 'A model URL may not contain "..".' };
    return { kind: 'url', host: `${m[1]!.toLowerCase()}/`, path };
  }
  if (s.startsWith('/')) {
    const path = s.replace(/\/+$/, '');
    if (path.split('/').some((p) => p === '..')) return { error: 'A model path may not contain "..".' };
    return { kind: 'local', path };
  }
  const id = s.replace(/^hf\.co\//, '').replace(/^huggingface\.co\//, '');
  if (!HUB_ID.test(id)) return { error: `"${s}" is not a Hub id (owner/name) or a URL.` };
  return { kind: 'hub', id };
}
