// idb recognises IDB objects by the global classes, as a browser has them. Tests install
// fake-indexeddb's classes, but not its `indexedDB`: every test passes its own factory.
import {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
} from 'fake-indexeddb';
import { afterAll, beforeAll, vi } from 'vitest';

/** Installs the IDB classes as globals for the tests of the calling file. */
export function installFakeIdbClasses(): void {
  beforeAll(() => {
    const classes = { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore, IDBOpenDBRequest, IDBRequest, IDBTransaction };
    for (const [name, value] of Object.entries(classes)) vi.stubGlobal(name, value);
  });
  afterAll(() => vi.unstubAllGlobals());
}
