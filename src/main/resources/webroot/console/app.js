// The console's entry point: two tabs, the cluster view (polled all the time, since the playground
// reads which models the members offer) and the playground.

import { startClusterView } from './cluster.js';
import { $ } from './dom.js';
import { setModels, startPlayground } from './playground.js';

function showTab(name) {
  for (const tab of ['cluster', 'playground']) {
    const selected = tab === name;
    $(`#tab-${tab}`).setAttribute('aria-selected', String(selected));
    $(`#view-${tab}`).hidden = !selected;
  }
}

$('#tab-cluster').addEventListener('click', () => showTab('cluster'));
$('#tab-playground').addEventListener('click', () => showTab('playground'));
showTab('cluster');
startPlayground();
startClusterView(setModels);
