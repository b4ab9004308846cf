import type { ComparisonRecord } from '../core/comparison.ts';
import { exportFileName, toJson, toMarkdown } from '../core/export.ts';

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file the user can save: made when its button is pressed. */
export interface Download {
  readonly caption: string;
  readonly name: string;
  readonly type: string;
  readonly text: () => string;
}

/** One row of export buttons (comparisons, re-cuts, evaluations). */
export function DownloadRow({ label, files }: { label: string; files: readonly Download[] }) {
  return (
    <div className="row" role="group" aria-label={label}>
      {files.map((f) => (
        <button key={f.caption} type="button" onClick={() => download(f.name, f.type, f.text())}>
          {f.caption}
        </button>
      ))}
    </div>
  );
}

export function ExportButtons({ record }: { record: ComparisonRecord }) {
  return (
    <DownloadRow
      label="Export"
      files={[
        { caption: 'Export Markdown', name: exportFileName(record, 'md'), type: 'text/markdown', text: () => toMarkdown(record) },
        { caption: 'Export JSON', name: exportFileName(record, 'json'), type: 'application/json', text: () => toJson(record) },
      ]}
    />
  );
}
