import { useStore } from 'zustand';
import { settingsNoticeDismissed, settingsNoticeStore } from '../state/settings-validation.ts';

/** Says which saved or linked settings were refused (and replaced by defaults), once. */
export function SettingsNotice() {
  const problems = useStore(settingsNoticeStore, (s) => s.problems);
  if (problems.length === 0) return null;
  return (
    <div className="warning settings-notice" role="status" data-testid="settings-notice">
      <p>Some settings could not be used and were replaced by defaults:</p>
      <ul>
        {problems.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ul>
      <button type="button" className="secondary" onClick={settingsNoticeDismissed}>
        Dismiss
      </button>
    </div>
  );
}
