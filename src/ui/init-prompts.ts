/**
 * The questions `guard init` asks at a terminal (lazy: @inquirer/prompts
 * loads only here, never on the hot path). Ctrl-C or Esc at any question
 * becomes a `cancelled` error (130); nothing has been written by then.
 */
import { checkbox, confirm, input } from '@inquirer/prompts';
import { GuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';

const output = { output: process.stderr };

async function asking<T>(question: Promise<T>): Promise<T> {
  try {
    return await question;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new GuardError('cancelled', 'cancelled; nothing was written');
    throw error;
  }
}

/** A line of text; `validate` returns an error message for a bad answer, or undefined. */
export function askText(message: string, options: { default?: string; validate?: (value: string) => string | undefined } = {}): Promise<string> {
  const validate = options.validate;
  return asking(
    input(
      {
        message: escapeControl(message),
        ...(options.default !== undefined ? { default: options.default } : {}),
        ...(validate ? { validate: (value: string) => validate(value.trim()) ?? true } : {}),
      },
      output,
    ),
  ).then((value) => value.trim());
}

export function askYesNo(message: string, defaultAnswer: boolean): Promise<boolean> {
  return asking(confirm({ message: escapeControl(message), default: defaultAnswer }, output));
}

/** Some of `choices`, all ticked at first. */
export function askSome<T extends string>(message: string, choices: readonly T[]): Promise<T[]> {
  return asking(checkbox({ message: escapeControl(message), choices: choices.map((value) => ({ value, name: value, checked: true })) }, output));
}
