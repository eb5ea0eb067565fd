// The portal's event type is the /api one (COMPAT.md): its id is its name, schema travels as JSON text, a live type
// is enabled. One mapping serves both surfaces.
export { eventTypeOut } from '../../compat/eventTypes.mapping';
