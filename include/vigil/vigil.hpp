// Umbrella header of vigil's C++ API. See README.md for a tour.
#ifndef VIGIL_VIGIL_HPP_
#define VIGIL_VIGIL_HPP_

#include "vigil/assets.hpp"
#include "vigil/capture.hpp"
#include "vigil/detect.hpp"
#include "vigil/event.hpp"
#include "vigil/fields.hpp"
#include "vigil/rules.hpp"
#include "vigil/status.hpp"
#include "vigil/version.hpp"

#endif  // VIGIL_VIGIL_HPP_
