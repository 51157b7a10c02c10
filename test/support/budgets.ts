/**
 * Byte budgets of the browser SDK, gzip -9: what an app that bundles the npm
 * package ships (test/support/npmApp.ts), the script-tag build with every
 * feature, and the inline snippet. Checked by test/package/size.test.ts,
 * printed by bench/sizes.ts.
 *
 * GOALS are the budgets the project set itself. The npm path does not meet
 * its goal yet (5,387 B when this was written; what is left is code the
 * browser API requires, see README "Measured figures"), so CI holds it to a
 * ceiling just above today's figure: no change may make it grow, and the
 * ceiling comes down to the goal as bytes are cut.
 */
export const GOALS = { npmApp: 5 * 1024, 'idstitch.min.js': 5.5 * 1024, 'snippet.min.js': 512 } as const;
export const BUDGETS = { ...GOALS, npmApp: 5400 } as const;
