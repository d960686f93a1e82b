export { teardown as default } from './templates-global';
