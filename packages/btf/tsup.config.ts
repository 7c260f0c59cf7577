export { default } from '../../config/tsup.library.js';
