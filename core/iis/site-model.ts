/** An IIS-style site as Berth holds it once loaded (see site.ts), and the apps it holds, keyed by script. */
import type { ConfigIssue } from '../config/load.js';
import type { Platform } from '../platform/platform.js';
import type { WebConfigSettings } from './iisnode-settings.js';
import type { ConfigLayer, WebConfig } from './web-config.js';

export interface Site {
  /** The site folder (absolute). */
  root: string;
  /** Mount path in normal form: `''` for the root, else `/a/b`. */
  mountPath: string;
  platform: Platform;
  /** The web.config files found, the site root's first, then by depth. */
  configs: WebConfig[];
  /** Every configuration layer, outermost first (see layersFor). */
  layers: ConfigLayer[];
  /** All warnings of all files, plus the folder scan's. */
  warnings: ConfigIssue[];
  /** The log folders of the apps web.config declares, with their URLs (served by core/logs/serve.ts, not as static files). */
  logFolders: LogFolder[];
  /**
   * Folders never served as static files: the declared log folders. A caller that learns of another log folder
   * (an app's iisnode.yml changed logDirectory) adds it here.
   */
  protectedDirs: string[];
  /** Memo of siteApp, by site-relative script path (lower case where file names ignore case). */
  readonly appCache: Map<string, SiteApp>;
}

export interface LogFolder {
  /** The app whose log folder it is (for wildcard handlers: an app in the handler's folder). */
  app: SiteApp;
  dir: string;
  /** URL path of the folder without a trailing slash (e.g. `/node/logging/iisnode`); undefined when it is outside the site. */
  urlPrefix: string | undefined;
}


export interface SiteApp {
  /** The app's identity: the script's absolute path (iisnode keyed applications by it), lower case where file names ignore case. */
  key: string;
  /** Absolute path of the script. */
  script: string;
  /** Site-relative path of the script. */
  scriptRel: string;
  /** The script's folder: the workers' working directory and where iisnode.yml / berth.yml are read. */
  folder: string;
  /** The script's file name (the app's `entry`, relative to `folder`). */
  entry: string;
  /** The web.config configuration source for this app (to sit between the defaults and the environment). */
  settings: WebConfigSettings;
  /** `<appSettings>` in effect: extra environment variables for the workers. */
  env: Record<string, string>;
  /** The log folder as web.config sets it (absolute); iisnode.yml may still change logDirectory. */
  logDir: string;
  /** URL prefix of the log folder (e.g. `/node/logging/iisnode`), or undefined when it is outside the site. */
  logUrlPrefix: string | undefined;
  /** `<webSocket enabled>` in effect (accepted; Berth tunnels WebSockets to the app either way). */
  webSocketEnabled: boolean;
}
