/** Interactive prompts (lazy: @inquirer/prompts never loads on the hot path). */
import { confirm } from '@inquirer/prompts';
import { GuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';

export async function askConfirm(message: string): Promise<boolean> {
  try {
    return await confirm({ message: escapeControl(message), default: false }, { output: process.stderr });
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError') throw new GuardError('cancelled', 'cancelled; the command was not run');
    throw error;
  }
}
