/** The readiness sentence about a database schema version, shared by both engines' health checks. */
export function schemaProblem(current: number, known: number): string | undefined {
  if (current < known)
    return `migrations pending: the database schema is version ${current}, this Sightline needs ${known} (restart it to migrate)`;
  if (current > known)
    return `the database schema is version ${current}, newer than this Sightline knows (${known}): upgrade Sightline`;
  return undefined;
}
