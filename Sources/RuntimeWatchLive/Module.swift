// SPDX-License-Identifier: Apache-2.0
// Placeholder until this module has its first type.
