// NetExtras tests
import Testing
