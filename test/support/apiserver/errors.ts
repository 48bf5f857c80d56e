// Status objects in the exact shape and wording of k8s.io/apimachinery/pkg/api/errors.

/** A Kubernetes `Status` failure, thrown inside the fake and written as the response body. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  // The JSON body every error response carries.
  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details && Object.keys(this.details).length > 0) status.details = this.details;
    else if (this.code === 404 && this.reason === 'NotFound') status.details = {};
    status.code = this.code;
    return status;
  }
}

/** A group and a plural resource, as apimachinery's schema.GroupResource. */
export interface GroupResource {
  group: string;
  resource: string;
}

// "jobs.batch" / "secrets": how apimachinery prints a GroupResource.
export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

// Status.details for errors about one named object (group omitted when empty, as Go's omitempty does).
function details(gr: GroupResource, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return { ...d, ...extra };
}

// errors.NewNotFound.
export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));
}

// The generic 404 for paths no resource serves.
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

// errors.NewAlreadyExists.
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));
}

// errors.NewConflict for a stale resourceVersion.
export function conflict(gr: GroupResource, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(gr, name),
  );
}

// errors.NewForbidden as the authorizer writes it.
export function forbidden(gr: GroupResource | undefined, name: string, reason: string): StatusError {
  let message: string;
  if (!gr) message = `forbidden: ${reason}`;
  else if (!name) message = `${qualified(gr)} is forbidden: ${reason}`;
  else message = `${qualified(gr)} "${name}" is forbidden: ${reason}`;
  return new StatusError(403, 'Forbidden', message, gr ? details(gr, name) : {});
}

// The authenticator's 401 (anonymous auth disabled).
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

// errors.NewBadRequest.
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

// errors.NewInvalid: `Kind.group "name" is invalid: field: problem`.
export function invalid(kind: string, group: string, name: string, field: string, problem: string): StatusError {
  const qk = group ? `${kind}.${group}` : kind;
  return new StatusError(422, 'Invalid', `${qk} "${name}" is invalid: ${field}: ${problem}`, {
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    kind,
    causes: [{ reason: 'FieldValueInvalid', message: problem, field }],
  });
}

// errors.NewMethodNotSupported.
export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

// The status an injected fault answers with, reason and message as the real layers produce them.
export function injected(code: number, retryAfter?: number, message?: string): StatusError {
  const headers: Record<string, string> = retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {};
  const det = retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : undefined;
  switch (code) {
    case 429:
      return new StatusError(429, 'TooManyRequests', message ?? 'Too many requests, please try again later.', det, headers);
    case 503:
      return new StatusError(503, 'ServiceUnavailable', message ?? 'the server is currently unable to handle the request', det, headers);
    case 504:
      return new StatusError(504, 'Timeout', message ?? 'the server was unable to return a response in the time allotted, but may still be processing the request', det, headers);
    case 500:
      return new StatusError(500, 'InternalError', message ?? 'Internal error occurred: injected fault', det, headers);
    default:
      return new StatusError(code, '', message ?? `injected fault ${code}`, det, headers);
  }
}
