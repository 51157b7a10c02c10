/**
 * The delivery thread's code as a CommonJS script, or undefined when running
 * from source. The build replaces this module with the script (see
 * rollup.config.ts), so the thread starts from text: an app bundled by
 * esbuild, webpack or the like cannot lose a worker file, and the thread never
 * loads the app's own bundle.
 */
export const DELIVERY_WORKER_SCRIPT: string | undefined = undefined;
