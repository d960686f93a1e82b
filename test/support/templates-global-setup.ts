export { setup as default } from './templates-global';
