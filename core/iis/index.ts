/**
 * IIS-style sites (iisnode compatibility): web.config, applications keyed by script, URL Rewrite, static files.
 * The engine's entry points; see docs/IISNODE-COMPAT.md for what is supported and why.
 */
export { overlayWebConfig, type IisnodeSection, type WebConfigSettings, type Where } from './iisnode-settings.js';
export { configErrorPage, customResponsePage, type PageResponse } from './pages.js';
export { applyRewriteRules, type FileKind, type FileProbe, type RewriteOutcome, type RewriteRequest } from './rewrite.js';
export {
  cachedProbe,
  declaredApps,
  fsProbe,
  isIisSite,
  loadSite,
  resolveSiteRequest,
  siteApp,
  type LoadSiteOptions,
  type LogFolder,
  type Site,
  type SiteApp,
  type SiteRequest,
  type SiteResolution,
} from './site.js';
export { serveStaticFile, serveStaticRequest, type ProtectionOptions, type StaticFileRequest, type StaticFolderRequest, type StaticResponse } from './static.js';
export { parseWebConfig, readWebConfig, WEB_CONFIG, type ConfigLayer, type WebConfig } from './web-config.js';
