import { useStore } from 'zustand';
import { activity, type Activity } from '../app/busy.ts';
import { compareStore } from '../state/compare-store.ts';
import { evalStore } from '../state/eval-store.ts';
import { modelStore } from '../state/model-store.ts';
import { runStore } from '../state/run-store.ts';

/** What occupies the worker (src/app/busy.ts), re-rendering when any of the stores it reads changes. */
export function useActivity(): Activity | null {
  useStore(compareStore, (s) => s.comparison?.status);
  useStore(evalStore, (s) => s.evaluation?.status);
  useStore(runStore, (s) => s.run?.status);
  useStore(modelStore, (s) => s.status);
  return activity();
}
