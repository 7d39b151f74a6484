import type { Command } from 'commander';
import { registerDoctor } from './doctor.js';
import { registerKeygen } from './keygen.js';
import { registerSimulate } from './simulate.js';
import { registerDemo } from './demo.js';
import { registerDevIdp } from './devIdp.js';

/** Adds one command (with its options and action) to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command of the CLI; a new command is one file and one entry here. */
export const commands: RegisterCommand[] = [registerSimulate, registerKeygen, registerDoctor, registerDevIdp, registerDemo];
