/**
 * Questions on the controlling terminal (lazy: @inquirer/prompts never
 * loads on the hot path). Asked on /dev/tty, as sudo asks for its password:
 * stdin may be a pipe that belongs to the command (`psql < migration.sql`),
 * and guard never reads from it.
 */
import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { confirm } from '@inquirer/prompts';
import { GuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';
import { CONTROLLING_TTY } from '../util/controlling-tty.ts';

export type ConfirmAnswer = 'yes' | 'no' | 'timeout';

/** Asks a yes/no question (default no) on the controlling terminal; no answer within `timeoutMs` is 'timeout'. Ctrl-C cancels (130). */
export async function askConfirm(message: string, timeoutMs: number): Promise<ConfirmAnswer> {
  let input: ReadStream | undefined;
  let output: WriteStream | undefined;
  try {
    input = new ReadStream(openSync(CONTROLLING_TTY, 'r'));
    output = new WriteStream(openSync(CONTROLLING_TTY, 'w'));
  } catch (error) {
    input?.destroy();
    throw new GuardError('auth', `cannot ask on the terminal (${(error as NodeJS.ErrnoException).code ?? 'error'}); the command was not run`);
  }
  const timeout = AbortSignal.timeout(Math.max(0, timeoutMs));
  try {
    return (await confirm({ message: escapeControl(message), default: false }, { input, output, signal: timeout })) ? 'yes' : 'no';
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'AbortPromptError' && timeout.aborted) {
      output.write('\n'); // the question stays on screen, unanswered; what follows starts on a line of its own
      return 'timeout';
    }
    if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new GuardError('cancelled', 'cancelled; the command was not run');
    throw error;
  } finally {
    input.destroy();
    output.destroy();
  }
}
