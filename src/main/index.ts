// Electron entry: the thin desktop shell. Everything it shows comes from the domain services via the IPC contract.
import { runElectronApp } from './electron/main';

runElectronApp();
