/**
 * The renderer's entry: the stores, the connection to the engine (through the desktop bridge in the app, through the
 * page's own address in a browser), and the window.
 */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { pageEndpointSource } from './api/endpoint.js';
import { desktopBridge } from './api/native.js';
import { useAppDetail } from './stores/app-detail.js';
import { useApps } from './stores/apps.js';
import { useConnection } from './stores/connection.js';
import { useUi } from './stores/ui.js';
import './styles/base.css';

const app = createApp(App);
app.use(createPinia());

const connection = useConnection();
useApps().attach();
useAppDetail().attach();

const bridge = desktopBridge();
if (bridge) {
  // The engine restarted (it died, or a setting that needs a restart changed): its port and token are new.
  bridge.onEngineRestarted(() => connection.reconnect());
  // The tray and notifications name a screen as a route (`#/apps/shop`, see util/route.ts).
  bridge.onShowApp((route) => useUi().navigate(route));
}
connection.start({ source: pageEndpointSource(bridge) });

app.mount('#app');
