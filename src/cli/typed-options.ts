import type { Command, OptionValues } from '@commander-js/extra-typings';

/**
 * Commander's typed options (@commander-js/extra-typings) are ferry's one way
 * of reading a command line: each `.option()` / `.addOption()` adds its value
 * to the command's option type, so an action gets a typed object parsed once
 * by commander (argParsers validate and convert, `choices` narrow), never a
 * `Record<string, unknown>` to cast. Flag groups shared by several commands
 * (access, signing, run flags) are functions from a command to the command
 * with their options added; their values are read by helpers that take
 * {@link OptionsOf} the group.
 */

/** A command with no options yet: what flag groups are instantiated on to name their option types. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- commander's own "no options" type
export type NoOptions = {};

/**
 * The option values a flag group adds to a command, from the group's function
 * instantiated on a bare command: `OptionsOf<typeof addGlobalSignatureFlags<[], NoOptions, NoOptions>>`.
 */
export type OptionsOf<F extends (...args: never[]) => unknown> = ReturnType<F> extends Command<unknown[], infer O, OptionValues> ? O : never;

/** `true` when two option types have the same names and each is assignable to the other, else `never`. */
type Same<X, Y> = [X, Y] extends [Y, X] ? ([keyof X, keyof Y] extends [keyof Y, keyof X] ? true : never) : never;

/** `true` when the options a flag group's function declares (`On`) and its spelt-out option type (`F`) agree, else `never`. */
export type Agrees<On extends (...args: never[]) => unknown, F> = Same<OptionsOf<On>, F>;

/**
 * A flag group for any command, from its function on a bare command (`on`)
 * and its option values spelt out (`F`, a type alias so that it stays
 * assignable to commander's OptionValues): declaration files cannot spell the
 * type commander infers for a generic command, and trying takes the compiler
 * minutes. `flagGroup<F>()(on, true)` compiles only when `F` and the options
 * `on` declares agree. `P`: the group's own arguments after the command.
 */
export function flagGroup<F extends OptionValues, P extends unknown[] = []>() {
  return <On extends (command: Command<[], NoOptions, NoOptions>, ...args: P) => unknown>(on: On, agrees: Agrees<On, F>) => {
    void agrees;
    return <A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>, ...args: P): Command<A, O & F, G> =>
      // commander adds options to the command itself and returns it: only the option type changes.
      on(command as unknown as Command<[], NoOptions, NoOptions>, ...args) as unknown as Command<A, O & F, G>;
  };
}

/** The parser of a repeatable option (`-f A -f B`): each value appended to those before. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
