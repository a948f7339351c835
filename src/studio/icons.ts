import { LabIcon } from '@jupyterlab/ui-components';

// A flask: the studio's icon in the sidebar and launcher.
const flask = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M9 2h6v2h-1v5.2l5.6 9.3A2 2 0 0 1 17.9 21H6.1a2 2 0 0 1
-1.7-2.5L10 9.2V4H9V2zm3 9.1L8.2 17h7.6L12 11.1z"/></svg>`;

const chart = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3V3zm4 12l4-5 3 3 5-7 1.6 1.2-6.4 9-3-3-2.6
3.3L7 15z"/></svg>`;

export const studioIcon = new LabIcon({ name: 'jupyter-mlws:studio', svgstr: flask });
export const runIcon = new LabIcon({ name: 'jupyter-mlws:run', svgstr: chart });

// A cube (a model) and a plug (a deployed endpoint).
const cube = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M12 2l9 5v10l-9 5-9-5V7l9-5zm0 2.3L5.5 7.9 12 11.5l6.5-3.6L12
4.3zM5 9.6v6.2l6 3.4v-6.3L5 9.6zm14 0l-6 3.3v6.3l6-3.4V9.6z"/></svg>`;

const plug = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
<path class="jp-icon3" fill="#616161" d="M8 2h2v5h4V2h2v5h1a1 1 0 0 1 1 1v4a6 6 0 0 1-5 5.9V22h-2v-4.1A6
6 0 0 1 6 12V8a1 1 0 0 1 1-1h1V2zm0 7v3a4 4 0 0 0 8 0V9H8z"/></svg>`;

export const modelIcon = new LabIcon({ name: 'jupyter-mlws:model', svgstr: cube });
export const endpointIcon = new LabIcon({ name: 'jupyter-mlws:endpoint', svgstr: plug });
