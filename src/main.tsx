import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { requestProbe } from './app/actions.ts';
import { deviceChosen, dtypeChosen, modelInputEdited } from './state/settings-store.ts';
import { App } from './ui/App.tsx';
import './ui/app.css';

// The model can be chosen by URL: ?model=<hub id | URL | /models/...>&device=webgpu|wasm&dtype=q4|q4f16|fp32|fp16
const params = new URLSearchParams(location.search);
const model = params.get('model');
if (model) modelInputEdited(model);
const device = params.get('device');
if (device === 'webgpu' || device === 'wasm' || device === 'auto') deviceChosen(device);
const dtype = params.get('dtype');
if (dtype === 'q4' || dtype === 'q4f16' || dtype === 'fp32' || dtype === 'fp16' || dtype === 'auto') dtypeChosen(dtype);

requestProbe();

const showTestModels = import.meta.env.DEV || (model ?? '').startsWith('/models/') || params.has('testModels');
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App showTestModels={showTestModels} />
  </StrictMode>,
);
