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
