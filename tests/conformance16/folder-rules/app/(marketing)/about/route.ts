import { label } from '../_components/label'

export function GET() {
  return new Response(label)
}
