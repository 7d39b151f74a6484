#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands.js';

/**
 * `koobridge <command>`: rehearse the marketplace on a laptop and check a configuration. Each
 * command lives in a file of its own and is listed in commands.ts.
 */
const program = new Command('koobridge').description('KooGallery union-operated SaaS identity bridge: tools for merchants').showHelpAfterError();
for (const register of commands) register(program);
await program.parseAsync(process.argv);
