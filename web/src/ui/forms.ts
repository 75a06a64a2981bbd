/** A text field of a submitted form: '' when the field is missing (or, never here, a file). */
export function fieldText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
