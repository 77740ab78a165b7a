import type { Category } from '../../gateway/codecs/index.js';
import type { Rng } from '../prng.js';
import { ElevatorModel } from './elevator.js';
import type { BehaviourModel } from './model.js';
import { StreetlightModel } from './streetlight.js';
import { VehicleModel } from './vehicle.js';

export { ElevatorModel } from './elevator.js';
export * from './model.js';
export { StreetlightModel } from './streetlight.js';
export { SHANGHAI, VehicleModel } from './vehicle.js';

export function createModel(category: Category, rng: Rng): BehaviourModel {
  switch (category) {
    case 'VEHICLE':
      return new VehicleModel({ rng });
    case 'ELEVATOR':
      return new ElevatorModel({ rng });
    case 'STREETLIGHT':
      return new StreetlightModel({ rng });
  }
}

/** Default timing per category, in simulated seconds (heartbeats follow the seeded device models). */
export const CATEGORY_TIMING: Record<Category, { reportIntervalSec: number; heartbeatIntervalSec: number }> = {
  VEHICLE: { reportIntervalSec: 30, heartbeatIntervalSec: 60 },
  ELEVATOR: { reportIntervalSec: 120, heartbeatIntervalSec: 300 },
  STREETLIGHT: { reportIntervalSec: 300, heartbeatIntervalSec: 900 },
};
