// The page's view of the converter protocol (the worker's file is the one source).
export * from '../worker/convert-protocol.ts';
