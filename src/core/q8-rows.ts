// One fact the converter writes and the engine reads: a q8 graph whose activations are quantized
// row by row (each token on its own scale) says so in its config.json under this key, with the
// value "per-row". Only then do batched rows equal their single runs, so only then does the engine
// batch a q8 model (graphs from onnxruntime's quantize_dynamic share one scale across rows).
export const Q8_ROWS_KEY = 'q8_activation_quantization';
