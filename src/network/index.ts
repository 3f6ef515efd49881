/**
 * The network of a container, as the runtime sees it: plan it before
 * clone (planNetwork: the mounts of its /etc files and the --explain
 * steps), attach it between clone and the sync byte (attachNetwork, the
 * network host step of the plan), detach it when the container is gone (detachNetwork: the
 * foreground runtime, the monitor's cleanup, rm -f). Nothing else of the
 * runtime knows how.
 */
export { planNetwork, type NetworkFlags, type NetworkPlan } from './plan-network.js'
export { attachNetwork, detachNetwork, type Endpoint, type NetworkRecord } from './attach.js'
export { formatPorts, portLines, type PortMapping } from './port-spec.js'
