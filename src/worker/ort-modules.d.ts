// vite.config.ts: the asyncify WebGPU bundle of onnxruntime-web, by file (the package exports it only as `onnxruntime-web/webgpu`, which is aliased to ort-bundle.ts).
declare module 'ort-webgpu-asyncify' {
  export * from 'onnxruntime-web';
}
