/**
 * Byte budgets of the browser SDK, gzip -9: what an app that bundles the npm
 * package ships (test/support/npmApp.ts), the script-tag build with every
 * feature, and the inline snippet. Checked by test/package/size.test.ts,
 * printed by bench/sizes.ts.
 */
export const BUDGETS = { npmApp: 5 * 1024, 'idstitch.min.js': 5.5 * 1024, 'snippet.min.js': 512 } as const;
