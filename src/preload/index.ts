// The preload: exposes the typed contract API to the renderer, nothing else.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('band', {});
