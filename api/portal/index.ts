export { portalRoutes } from './portalRoutes';
export { hostedPortal } from './hosted';
export { isPortalApiPath, portalCors } from './cors';
