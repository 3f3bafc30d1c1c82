// Private entry (dist/internal.js, not in package.json `exports`): what the postinstall
// script and the packaging tests need from the loader. Not a public API.
export { NativeBindingError, binaryFileName, loadNativeBinding } from './loader.js';
export { nodeAbi, platformTag } from './platform.js';
