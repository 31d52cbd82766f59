// The console's state (zustand): what the screens show, refreshed from the main process on demand and on push events.
// The store is split in slices under ./store/: core (the state, toasts, errors), engine (status, kill switch,
// approvals, working orders), views (history, report, positions, activity), lab (the Policy lab) and connect (push
// events, the screens' refresh, notifications). This module puts their actions together for the components.
import { engineActions } from './store/engine';
import { linkActions } from './store/connect';
import { labActions } from './store/lab';
import { viewActions } from './store/views';

export { isEmptyBook, RANGES, useConsole, toast, type Range, type Screen } from './store/core';
export { notionalOf, previewFor } from './store/engine';
export { connect, currentScreen } from './store/connect';

export const actions = { ...engineActions, ...viewActions, ...labActions, ...linkActions };
