import type { ComparisonRecord } from '../core/comparison.ts';
import { exportFileName, toJson, toMarkdown } from '../core/export.ts';

export function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ExportButtons({ record }: { record: ComparisonRecord }) {
  return (
    <div className="row" role="group" aria-label="Export">
      <button type="button" onClick={() => download(exportFileName(record, 'md'), 'text/markdown', toMarkdown(record))}>
        Export Markdown
      </button>
      <button type="button" onClick={() => download(exportFileName(record, 'json'), 'application/json', toJson(record))}>
        Export JSON
      </button>
    </div>
  );
}
